// Where a link in a message leads in the sandbox: the bot links to Slack threads (permalinks
// into the workspace, https://<workspace>/archives/<channel>/p<ts digits>) and to GitHub
// issues, neither of which exists outside the sandbox: the page opens them itself.

/** A permalink's ts ("p1700000000123456" -> "1700000000.123456"), or null. */
export function permalinkTs(digits) {
  return /^\d{7,}$/.test(digits) ? `${digits.slice(0, -6)}.${digits.slice(-6)}` : null;
}

const trimmed = (u) => String(u || '').replace(/[?#].*$/, '').replace(/\/+$/, '');

/**
 * What `href` opens in the page: {kind: 'message', ts, threadTs} for a permalink to a message
 * of `channelId` in the workspace at `workspaceUrl` (threadTs: its thread's root when the link
 * says so, else null), {kind: 'issue', number} for the html_url of one of `issues`, or null.
 */
export function linkTarget(href, workspaceUrl, channelId, issues) {
  const url = String(href || '');
  const base = trimmed(workspaceUrl);
  if (base && url.startsWith(`${base}/archives/`)) {
    const m = /^\/archives\/([A-Z0-9]+)\/p(\d+)(?:\?([^#]*))?(?:#.*)?$/.exec(url.slice(base.length));
    const ts = m && permalinkTs(m[2]);
    if (ts && m[1] === channelId) {
      const thread = new URLSearchParams(m[3] || '').get('thread_ts');
      return {kind: 'message', ts, threadTs: thread && /^\d+\.\d+$/.test(thread) ? thread : null};
    }
    return null;
  }
  const plain = trimmed(url);
  for (const issue of Array.isArray(issues) ? issues : []) {
    if (issue && issue.html_url && trimmed(issue.html_url) === plain) return {kind: 'issue', number: issue.number};
  }
  return null;
}
