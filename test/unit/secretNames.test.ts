import { carriesUrlCredential, looksLikeCredential } from "../../lib/secretNames";

describe("looksLikeCredential", () => {
  test.each(["DB_PASSWORD", "API_KEY", "GITHUB_TOKEN", "DB_PASS", "PASS", "SMTP_PWD", "PG_DSN", "SENTRY_DSN", "GOOGLE_CREDENTIALS", "SSH_PRIVATE_KEY", "AWS_SECRET_ACCESS_KEY", "db_pass"])(
    "%s is a credential",
    (name) => expect(looksLikeCredential(name)).toBe(true),
  );

  test.each(["COMPASS_URL", "BYPASS_CACHE", "PASSPORT_ID", "NGINX_PROXY_PASS_URL", "LOG_LEVEL", "DSNAME", "PWDX", "DB_PASSWORD_FILE", "TOKEN_PATH", "REGISTRY_AUTH_HTPASSWD_REALM"])(
    "%s is not (short words match whole `_`-separated words only; files and settings about a credential are not one)",
    (name) => expect(looksLikeCredential(name)).toBe(false),
  );
});

describe("carriesUrlCredential", () => {
  test.each(["postgres://app:pw@db/app", "https://ci:tok@npm.example.invalid/", "amqp://u:@mq", "redis://:secret@cache:6379/0"])("%s carries a password", (value) => {
    expect(carriesUrlCredential(value)).toBe(true);
  });

  test.each(["postgres://app@db/app", "https://npm.example.invalid/", "http://db:5432/app", "user@example.invalid", "debug"])("%s does not", (value) => {
    expect(carriesUrlCredential(value)).toBe(false);
  });
});
