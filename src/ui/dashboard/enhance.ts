/**
 * The dashboard's one script, served from the Worker (the policy allows scripts from its own
 * origin only, never inline): it shows the Copy buttons of code blocks and copies their text.
 * Every page works without it; the buttons stay hidden then and the text can be selected.
 */

/** Where the script is served; the name changes with its content so it can be cached. */
export const ENHANCE_PATH = "/dashboard/assets/enhance-1.js";

export const ENHANCE_JS = `"use strict";
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent || "").then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Copy failed"; }
      ).then(function () {
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();
`;
