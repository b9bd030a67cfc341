/* The project form: a filter over the article picker, milestone rows without a reload, the
   "written in" marker following the language, and the primary article kept among the tagged ones.
   Everything here only enhances: the form works the same without JavaScript. */
(function () {
  "use strict";

  function normalise(text) {
    return (text || "").toLocaleLowerCase().replace(/\s+/g, " ");
  }

  function initFilter(form) {
    var box = form.querySelector("[data-article-filter]");
    if (!box) {
      return;
    }
    var input = box.querySelector("input");
    var count = box.querySelector("#article-filter-count");
    var options = Array.prototype.slice.call(form.querySelectorAll("[data-article-option]"));
    var texts = options.map(function (option) {
      return normalise(option.textContent);
    });
    var message = box.getAttribute("data-count-message") || "";
    box.hidden = false;
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // filtering, not saving the form
      }
    });
    input.addEventListener("input", function () {
      var words = normalise(input.value).trim().split(" ").filter(Boolean);
      var shown = 0;
      options.forEach(function (option, index) {
        var match = words.every(function (word) {
          return texts[index].indexOf(word) !== -1;
        });
        option.hidden = !match;
        shown += match ? 1 : 0;
      });
      form.querySelectorAll("[data-article-group], [data-article-framework]").forEach(function (group) {
        var visible = group.querySelector("[data-article-option]:not([hidden])");
        group.hidden = !visible;
        if (words.length && visible && group.tagName === "DETAILS") {
          group.open = true;
        }
      });
      count.textContent = words.length ? message.replace("%(count)s", String(shown)) : "";
    });
  }

  function initPrimary(form) {
    var none = form.querySelector("#id_primary_article_none");
    form.addEventListener("change", function (event) {
      var target = event.target;
      var option = target.closest("[data-article-option]");
      if (!option) {
        return;
      }
      var tag = option.querySelector("input[type=checkbox]");
      var primary = option.querySelector("input[type=radio]");
      if (target === primary && primary.checked) {
        tag.checked = true; // the primary article is always tagged
      } else if (target === tag && !tag.checked && primary.checked && none) {
        none.checked = true;
      } else if (target === tag && tag.checked && none && none.checked) {
        primary.checked = true; // the first article tagged starts as the primary one
      }
      option.classList.toggle("is-tagged", tag.checked);
    });
  }

  function initLanguage(form) {
    var radios = form.querySelectorAll("input[name='language']");
    function update() {
      var chosen = form.querySelector("input[name='language']:checked");
      form.querySelectorAll(".language-block").forEach(function (block) {
        var original = chosen && block.getAttribute("data-language") === chosen.value;
        block.classList.toggle("is-original", Boolean(original));
        block.querySelector(".marker-original").hidden = !original;
        block.querySelector(".marker-translation").hidden = Boolean(original);
      });
    }
    radios.forEach(function (radio) {
      radio.addEventListener("change", update);
    });
  }

  function initMilestones(form) {
    var button = form.querySelector("#add-milestone");
    var template = form.querySelector("#milestone-row-template");
    var rows = form.querySelector("#milestone-rows");
    var total = form.querySelector("input[name='milestones-TOTAL_FORMS']");
    var max = form.querySelector("input[name='milestones-MAX_NUM_FORMS']");
    if (!button || !template || !rows || !total) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) {
        button.disabled = true;
        return;
      }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild && rows.lastElementChild.querySelector("input[type=text]");
      if (first) {
        first.focus();
      }
    });
  }

  function init() {
    var form = document.querySelector("form.project-form");
    if (!form) {
      return;
    }
    initFilter(form);
    initPrimary(form);
    initLanguage(form);
    initMilestones(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
