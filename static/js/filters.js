// Progressive: the filter form works without this. With it, ticking a box applies the
// filters at once, and the empty "Sort by" is not sent (cleaner permalinks).
(function () {
  var form = document.querySelector("form.filters");
  if (!form) return;
  form.addEventListener("change", function (event) {
    if (event.target.type === "checkbox" || event.target.tagName === "SELECT") form.requestSubmit();
  });
  form.addEventListener("submit", function () {
    form.querySelectorAll("input, select").forEach(function (field) {
      if (!field.value) field.disabled = true;
    });
  });
})();
