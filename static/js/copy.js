// Progressive: a "Copy citation" button where the clipboard is available.
(function () {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).innerText;
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = button.dataset.copied || "Copied";
      });
    });
  });
})();
