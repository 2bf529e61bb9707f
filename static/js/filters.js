// Progressive: the filter form works without this. With it, ticking a box applies the
// filters at once, and the empty "Sort by" is not sent (cleaner permalinks).
(function () {
  var form = document.querySelector("form.filters");
  if (!form) return;
  // On a phone, fold the filter list away unless a filter in it is in use.
  var facets = form.querySelector("details.facets");
  if (facets && window.matchMedia("(max-width: 50rem)").matches &&
      !facets.querySelector("input:checked")) facets.open = false;
  form.addEventListener("change", function (event) {
    if (event.target.type === "checkbox" || event.target.tagName === "SELECT") form.requestSubmit();
  });
  form.addEventListener("submit", function () {
    form.querySelectorAll("input, select").forEach(function (field) {
      if (!field.value) field.disabled = true;
    });
  });
})();
