"use strict";
// Docker HEALTHCHECK without curl or wget in the image: exit 0 when /health answers 200.
const http = require("http");

const req = http.get({ host: "127.0.0.1", port: Number(process.env.PORT || 8080), path: "/health", timeout: 2000 }, (res) => {
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error("timeout")));
req.on("error", () => process.exit(1));
