"use strict";
// A minimal HTTP service: / answers, /health says the process is alive, /ready says it takes traffic,
// /metrics serves Prometheus metrics. /ready is false while starting and from SIGTERM on, so Kubernetes
// stops routing before the pod exits.
const http = require("http");
const metrics = require("prom-client");

const port = Number(process.env.PORT || 8080);
const startupDelayMs = Number(process.env.STARTUP_DELAY_MS || 500);
const drainMs = Number(process.env.DRAIN_MS || 5000);
// Read, never printed: only whether they are set is reported.
const secretsPresent = { API_KEY: Boolean(process.env.API_KEY), DB_PASSWORD: Boolean(process.env.DB_PASSWORD) };

metrics.collectDefaultMetrics();
const requests = new metrics.Counter({ name: "http_requests_total", help: "HTTP requests by path and status.", labelNames: ["path", "status"] });
const KNOWN_PATHS = new Set(["/", "/health", "/ready", "/metrics"]);

let ready = false;
let shuttingDown = false;

const server = http.createServer(async (req, res) => {
  const send = (status, body, type = "application/json") => {
    // Unknown paths share one label, so scanners cannot grow the series without bound.
    requests.inc({ path: KNOWN_PATHS.has(req.url) ? req.url : "other", status });
    res.writeHead(status, { "content-type": type });
    res.end(type === "application/json" ? JSON.stringify(body) : body);
  };
  if (req.url === "/health") return send(200, { status: "ok" });
  if (req.url === "/ready") return ready && !shuttingDown ? send(200, { ready: true }) : send(503, { ready: false });
  if (req.url === "/metrics") return send(200, await metrics.register.metrics(), metrics.register.contentType);
  if (req.url === "/") return send(200, { service: "sample-web", version: process.env.APP_VERSION || "unknown", secretsPresent });
  return send(404, { error: "not found" });
});

// HOST narrows the listen address (tests on a shared host network bind 127.0.0.1); all interfaces otherwise.
server.listen(port, process.env.HOST || undefined, () => {
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
