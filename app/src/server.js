"use strict";
// A minimal HTTP service: / answers, /health says the process is alive, /ready says it takes traffic.
// /ready is false while starting and from SIGTERM on, so Kubernetes stops routing before the pod exits.
const http = require("http");

const port = Number(process.env.PORT || 8080);
const startupDelayMs = Number(process.env.STARTUP_DELAY_MS || 500);
const drainMs = Number(process.env.DRAIN_MS || 5000);
// Read, never printed: only whether they are set is reported.
const secretsPresent = { API_KEY: Boolean(process.env.API_KEY), DB_PASSWORD: Boolean(process.env.DB_PASSWORD) };

let ready = false;
let shuttingDown = false;

const server = http.createServer((req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.url === "/health") return send(200, { status: "ok" });
  if (req.url === "/ready") return ready && !shuttingDown ? send(200, { ready: true }) : send(503, { ready: false });
  if (req.url === "/") return send(200, { service: "sample-web", version: process.env.APP_VERSION || "unknown", secretsPresent });
  return send(404, { error: "not found" });
});

server.listen(port, () => {
  console.log(JSON.stringify({ msg: "listening", port, secretsPresent }));
  setTimeout(() => {
    ready = true;
  }, startupDelayMs);
});

process.on("SIGTERM", () => {
  shuttingDown = true;
  console.log(JSON.stringify({ msg: "SIGTERM: draining", drainMs }));
  setTimeout(() => server.close(() => process.exit(0)), drainMs);
  setTimeout(() => process.exit(0), drainMs + 5000).unref();
});
