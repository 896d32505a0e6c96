// A WebSocket that reconnects with exponential backoff (1 s doubling to 30 s, with jitter)
// and tells its owner when it (re)opens, so the page can catch up on what it missed.
(function () {
  "use strict";
  const MAX_DELAY = 30000;

  function LiveSocket(path, handlers) {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let socket = null;
    let delay = 1000;
    let opened = 0;
    let stopped = false;
    let timer = null;

    function setState(state, text) {
      document.body.dataset.liveState = state;
      if (handlers.onState) handlers.onState(state, text);
    }

    function connect() {
      timer = null;
      setState("connecting", "Connecting…");
      socket = new WebSocket(scheme + location.host + path);
      socket.onopen = () => {
        delay = 1000;
        opened += 1;
        setState("open", "Live");
        if (handlers.onOpen) handlers.onOpen(opened > 1);
      };
      socket.onmessage = (msg) => {
        let data;
        try { data = JSON.parse(msg.data); } catch (e) { return; }
        if (handlers.onMessage) handlers.onMessage(data);
      };
      socket.onclose = (event) => {
        if (stopped) return;
        if (event.code === 4404) {
          setState("refused", "Not available");
          return;
        }
        const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
        setState("closed", "Reconnecting in " + Math.ceil(wait / 1000) + " s…");
        timer = setTimeout(connect, wait);
        delay = Math.min(delay * 2, MAX_DELAY);
      };
    }

    connect();
    return {
      send(data) {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(data));
      },
      isOpen() { return !!socket && socket.readyState === WebSocket.OPEN; },
      stop() { stopped = true; if (timer) clearTimeout(timer); if (socket) socket.close(); },
    };
  }

  window.LLMscopeLiveSocket = LiveSocket;
})();
