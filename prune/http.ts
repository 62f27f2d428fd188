/** Talks to a Docker Registry HTTP API v2 with bounded concurrency, retries and errors that say what to do. */
import * as http from "http";
import * as https from "https";

/** `bad-answer`: an answer no registry should give (a name outside its grammar, a body too large, a loop). */
export type RegistryErrorKind = "unreachable" | "unauthorized" | "deletes-disabled" | "repo-not-found" | "not-a-registry" | "bad-answer" | "http";

export class RegistryError extends Error {
  constructor(readonly kind: RegistryErrorKind, message: string, readonly status?: number) {
    super(message);
    this.name = "RegistryError";
  }
}

export interface ClientOptions {
  username?: string;
  password?: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Each request's total deadline, however slowly the answer trickles in; retried like a 5xx. */
  timeoutMs: number;
  /** The largest answer body held in memory; a larger one stops the run. */
  maxBodyBytes: number;
  /** Attempts per request, the first included. */
  attempts: number;
  /** First backoff; doubled each retry, with jitter. */
  backoffMs: number;
  /** PEM of the CA an https:// registry is verified against, in place of Node's bundled roots. */
  ca?: string;
}

/** A counting semaphore: at most `limit` callers inside at once. */
export class Semaphore {
  private waiting: (() => void)[] = [];
  private active = 0;
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Runs `task` over `items` with at most `limit` at once; results keep the input order. `limit` workers take
 * the next item as they finish one, so 100,000 items are never 100,000 waiting promises; after a failure
 * no worker starts another item, and the first failure is thrown.
 */
export async function mapLimit<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await task(items[i]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

const RETRIABLE = (status: number) => status === 429 || status >= 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** One backoff wait, and all of one request's waits together. */
const MAX_WAIT_MS = 10_000;
const MAX_TOTAL_WAIT_MS = 60_000;
/** Node's codes for a certificate it does not trust, or TLS spoken to a plain-HTTP server. */
const TLS_PROBLEM = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_SSL|EPROTO|ALTNAME/;
const BODY_TOO_LARGE = "EBODYTOOLARGE";

export interface Answer {
  status: number;
  headers: { get(name: string): string | null };
  body: string;
}

const headerReader = (raw: http.IncomingHttpHeaders) => ({
  get: (name: string) => {
    const value = raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
  },
});

export class RegistryClient {
  private readonly semaphore: Semaphore;
  private readonly authHeader?: string;
  /** node:http with keep-alive: a fraction of fetch's CPU per request, which is what bounds a large prune. */
  private readonly agent: http.Agent;
  /** Requests sent, retries included (for the figures). */
  public requests = 0;

  constructor(readonly baseUrl: string, private readonly options: ClientOptions) {
    this.semaphore = new Semaphore(options.concurrency);
    const agentOptions = { keepAlive: true, maxSockets: options.concurrency };
    this.agent = baseUrl.startsWith("https:") ? new https.Agent({ ...agentOptions, ...(options.ca ? { ca: options.ca } : {}) }) : new http.Agent(agentOptions);
    if (options.username) this.authHeader = `Basic ${Buffer.from(`${options.username}:${options.password ?? ""}`).toString("base64")}`;
  }

  /** One request with retries on 429, 5xx, resets and timeouts; other answers are returned as they are. */
  async send(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
    let lastProblem = "";
    let waited = 0;
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      const outcome = await this.semaphore.run(() => this.once(method, path, headers, body));
      if ("status" in outcome && !RETRIABLE(outcome.status)) return outcome;
      lastProblem = "status" in outcome ? `HTTP ${outcome.status}` : outcome.error;
      if (lastProblem === BODY_TOO_LARGE) {
        throw new RegistryError("bad-answer", `${method} ${path}: the answer is larger than ${this.options.maxBodyBytes} bytes (--max-body-mb); nothing was deleted`);
      }
      if (TLS_PROBLEM.test(lastProblem)) break; // a certificate does not fix itself on retry
      if (attempt < this.options.attempts) {
        const retryAfter = "status" in outcome ? Number(outcome.headers.get("retry-after")) : NaN;
        const backoff = this.options.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        // Each wait is capped, and so is the total: a run with many attempts still ends.
        const wait = Math.min(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff, MAX_WAIT_MS, MAX_TOTAL_WAIT_MS - waited);
        if (wait <= 0) break;
        waited += wait;
        await sleep(wait);
      } else if ("status" in outcome) {
        return outcome;
      }
    }
    if (TLS_PROBLEM.test(lastProblem)) {
      throw new RegistryError(
        "unreachable",
        `TLS with ${this.baseUrl} failed (${lastProblem}): give the registry's CA with --ca-file /path/to/ca.crt, or use http:// for a plain-HTTP registry`,
      );
    }
    if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/.test(lastProblem)) {
      throw new RegistryError("unreachable", `cannot reach the registry at ${this.baseUrl}: ${lastProblem}`);
    }
    throw new RegistryError("http", `${method} ${path} failed after ${this.options.attempts} attempts: ${lastProblem}`);
  }

  private once(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer | { error: string }> {
    this.requests++;
    const url = new URL(`${this.baseUrl}${path}`);
    const transport = url.protocol === "https:" ? https : http;
    const max = this.options.maxBodyBytes;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: Answer | { error: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(outcome);
      };
      const fail = (code: string) => {
        settle({ error: code });
        request.destroy();
      };
      const request = transport.request(
        url,
        { method, agent: this.agent, headers: { ...(this.authHeader ? { Authorization: this.authHeader } : {}), ...headers } },
        (response) => {
          if (Number(response.headers["content-length"] ?? 0) > max) return fail(BODY_TOO_LARGE);
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (c: Buffer) => {
            size += c.length;
            if (size > max) fail(BODY_TOO_LARGE);
            else chunks.push(c);
          });
          response.on("end", () => settle({ status: response.statusCode ?? 0, headers: headerReader(response.headers), body: Buffer.concat(chunks).toString("utf8") }));
          response.on("error", (e) => settle({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
        },
      );
      // A total deadline, not an idle timeout: a registry sending a byte a second never goes idle.
      const deadline = setTimeout(() => fail("ETIMEDOUT"), this.options.timeoutMs);
      request.on("error", (e) => settle({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
      request.end(body);
    });
  }

  /** Whether `url` (a next page, an upload location, both the registry's words) is on this registry. */
  isOwnOrigin(url: URL): boolean {
    return url.origin === new URL(this.baseUrl).origin;
  }

  /** Lets the process exit: keep-alive sockets would otherwise hold it open. */
  close(): void {
    this.agent.destroy();
  }

  /** Throws the error a person can act on for 401 and 404 NAME_UNKNOWN; returns other answers. */
  checked(answer: Answer, what: string, repo?: string): Answer {
    if (answer.status === 401) {
      throw new RegistryError("unauthorized", `${what}: the registry answered 401`, 401);
    }
    if (answer.status === 404 && repo && answer.body.includes("NAME_UNKNOWN")) {
      throw new RegistryError("repo-not-found", `repository ${repo} does not exist in ${this.baseUrl} (404 NAME_UNKNOWN)`, 404);
    }
    return answer;
  }
}

export const DELETES_DISABLED_HELP =
  "deletes are disabled on this registry (405 UNSUPPORTED): enable them with storage.delete.enabled: true " +
  "(REGISTRY_STORAGE_DELETE_ENABLED=true) and restart it";

/** The body of a registry answer as JSON; anything else (an HTML page, a proxy's error) says it is not a registry. */
export function registryJson(baseUrl: string, what: string, body: string): any {
  try {
    return JSON.parse(body);
  } catch {
    const start = body.trim().slice(0, 40).replace(/\s+/g, " ");
    throw new RegistryError("not-a-registry", `${what}: ${baseUrl} did not answer as a Docker Registry v2 API (expected JSON, got "${start}")`);
  }
}
