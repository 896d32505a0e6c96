// Setup wizard: copy buttons, and a live wait for the first event (the status fragment is
// fetched again whenever the project's socket reports activity, and once on each connect).
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent).then(() => {
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  });

  const status = document.getElementById("wizard-status");
  if (!status || !window.LLMscopeLiveSocket) return;
  const ping = () => document.body.dispatchEvent(new CustomEvent("llmscope:activity"));
  window.LLMscopeLiveSocket(status.dataset.liveUrl, {
    onOpen: ping,
    onMessage: (data) => { if (data.type === "activity" || data.type === "points") ping(); },
  });
})();
