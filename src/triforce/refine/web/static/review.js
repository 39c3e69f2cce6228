// Keyboard shortcuts for the review page. Every action is a plain form underneath, so the page
// works without this file; here keys only click buttons and move the focus.
(function () {
  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.isContentEditable);
  }
  function click(id) {
    var el = document.getElementById(id);
    if (el) { el.click(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && ev.target.id === "editor") {
      ev.preventDefault();
      var form = document.getElementById("correct-form");
      if (form) { form.requestSubmit(); }
      return;
    }
    if (ev.key === "Escape" && typing(ev.target)) { ev.target.blur(); return; }
    if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var handled = false;
    switch (ev.key) {
      case "a": handled = click("accept"); break;
      case "s": handled = click("skip"); break;
      case "p": handled = click("preview"); break;
      case "n": handled = click("nav-next"); break;
      case "r": {
        var reason = document.getElementById("reject-reason");
        if (reason) { reason.focus(); handled = true; }
        break;
      }
      case "e": {
        var editor = document.getElementById("editor");
        if (editor) { editor.focus(); handled = true; }
        break;
      }
    }
    if (handled) { ev.preventDefault(); }
  });
})();
