import * as http from "http";
import { listenOnLoopback } from "./docker";

/** Pass it on, answer 500, reset, answer late, or answer this instead of the registry. */
export type Fault = "pass" | "500" | "reset" | "slow" | { status: number; type: string; body: string };

/**
 * An HTTP proxy on 127.0.0.1 in front of a registry that injects faults: `decide` picks, per request,
 * whether to pass it, answer 500, reset the connection, or answer after `slowMs`. It is told the request's
 * attempt number (how many times this method and URL came before, plus one), so a schedule can be the same
 * whatever order concurrent requests arrive in.
 */
export class FaultProxy {
  public readonly seen: { n: number; method: string; url: string; fault: Fault }[] = [];
  private constructor(private readonly server: http.Server, readonly url: string) {}

  static async start(target: string, decide: (req: http.IncomingMessage, attempt: number) => Fault, slowMs = 3000): Promise<FaultProxy> {
    const upstream = new URL(target);
    let count = 0;
    const attempts = new Map<string, number>();
    let proxy: FaultProxy | undefined;
    const server = http.createServer((req, res) => {
      const n = ++count;
      const key = `${req.method} ${req.url}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const fault = decide(req, attempt);
      proxy?.seen.push({ n, method: req.method ?? "", url: req.url ?? "", fault });
      if (typeof fault === "object") {
        req.resume();
        res.writeHead(fault.status, { "content-type": fault.type }).end(fault.body);
        return;
      }
      if (fault === "500") {
        req.resume();
        res.writeHead(500, { "content-type": "application/json" }).end('{"errors":[{"code":"UNKNOWN","message":"injected"}]}');
        return;
      }
      if (fault === "reset") {
        req.socket.destroy();
        return;
      }
      const forward = () => {
        const out = http.request(
          // The client's Host header is kept, as a reverse proxy keeps it: the registry's upload Location then
          // names the proxy, which registry-prune requires of it.
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on("error", () => res.destroy());
        req.pipe(out);
      };
      if (fault === "slow") setTimeout(forward, slowMs);
      else forward();
    });
    proxy = new FaultProxy(server, await listenOnLoopback(server));
    return proxy;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
