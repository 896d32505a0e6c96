// Prepends audit entries pushed over the organization's WebSocket to the audit log table.
(function () {
  const table = document.getElementById("audit-log");
  if (!table) return;
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  let delay = 1000;
  function connect() {
    const socket = new WebSocket(scheme + location.host + table.dataset.liveUrl);
    socket.onopen = () => { delay = 1000; };
    socket.onmessage = (msg) => {
      const data = JSON.parse(msg.data);
      if (data.type !== "audit") return;
      const row = document.createElement("tr");
      const e = data.entry;
      for (const text of [e.at.slice(0, 16).replace("T", " "), e.actor || "—", e.label, e.target]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      }
      table.tBodies[0].prepend(row);
    };
    socket.onclose = () => { setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
  }
  connect();
})();
