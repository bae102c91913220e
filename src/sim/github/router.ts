/** Tiny path router: "/repos/:owner/:repo/contents/*path". */
import type { Route } from "./core.js";

interface Compiled { route: Route; re: RegExp; names: string[] }

export class Router {
  private compiled: Compiled[] = [];
  constructor(routes: Route[]) {
    for (const route of routes) {
      const names: string[] = [];
      const src = route.pattern.split("/").map((seg) => {
        if (seg.startsWith(":")) { names.push(seg.slice(1)); return "([^/]+)"; }
        if (seg.startsWith("*")) { names.push(seg.slice(1)); return "(.+)"; }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      }).join("/");
      this.compiled.push({ route, re: new RegExp(`^${src}/?$`), names });
    }
  }
  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const c of this.compiled) {
      if (c.route.method !== method) continue;
      const m = c.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => { params[n] = safeDecode(m[i + 1]); });
      return { route: c.route, params };
    }
    return undefined;
  }
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}
