// Everything keyfence writes to GitHub passes untrusted text (paths, branch names, user names)
// through these, so a crafted path cannot inject mentions, links or HTML into its issues.

/** Inline code that cannot be broken out of: the fence is longer than any backtick run inside. */
export function code(text: string): string {
  const clean = text.replace(/[\r\n]+/g, " ").slice(0, 300);
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  const pad = clean.startsWith("`") || clean.endsWith("`") ? " " : "";
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/** Plain text with markdown, HTML, mentions and autolinks neutralised. */
export function plain(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .slice(0, 300)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+\-!|~]/g, (c) => `\\${c}`)
    .replace(/@/g, "@\u200b")
    .replace(/:\/\//g, ":\u200b//");
}
