/**
 * The users of permissions.ts as nats-server configuration: an `authorization` block to
 * include, or to copy the users from, with the passwords left to the server's environment.
 */
import type { Grant, NatsUser, PermissionNames } from "./permissions.js";

export function permissionsConf(names: PermissionNames, users: NatsUser[]): string {
  const lines = [
    `# NATS users for hookswitch, each with the least it needs, for nats-server's configuration`,
    "# (`include` this file, or copy its users into your own `authorization` block: nats-server",
    "# takes one, so another deployment's users, named after its consumer, are copied in). Made by",
    `# \`hookswitch permissions\` for the event stream ${names.stream} on ${names.subjects.join(", ")},`,
    `# the deployment --consumer ${names.consumer}, and --inbox-prefix ${names.inboxPrefix}`,
    `# (NATS_INBOX_PREFIX=${names.inboxPrefix} for \`run\` and \`dlq\`)${names.createStream ? "" : ", under --no-create-stream"}.`,
    "#",
    "# For other names, run `hookswitch permissions` with the daemon's flags (or in its environment).",
    "# Passwords come from nats-server's environment. Operator mode (JWTs made with nsc) takes the",
    "# same subjects as --allow-pub and --allow-sub.",
    "",
    "authorization {",
  ];
  for (const user of users) {
    lines.push(`  # ${user.role}.`, `  ${user.variable} = {`);
    lines.push(...section("publish", user.publish), ...section("subscribe", user.subscribe));
    lines.push("  }", "");
  }
  lines.push("  users = [");
  for (const user of users) {
    lines.push(
      `    { user: ${userName(user.name)}, password: $${user.passwordVariable}, permissions: $${user.variable} }`,
    );
  }
  lines.push("  ]", "}");
  return `${lines.join("\n")}\n`;
}

/** Written bare when it may be (as the default names are), else quoted: a consumer's name may hold any character but white space, dots, * and >. */
function userName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? name : JSON.stringify(name);
}

function section(kind: "publish" | "subscribe", grants: Grant[]): string[] {
  const lines = [`    ${kind} = {`, "      allow = ["];
  for (const grant of grants) {
    lines.push(`        # ${grant.why}.`);
    for (const subject of grant.subjects) lines.push(`        ${JSON.stringify(subject)}`);
  }
  lines.push("      ]", "    }");
  return lines;
}
