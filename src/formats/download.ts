/** The Content-Disposition of a download: `attachment; filename="…"` with the name reduced to safe characters. */
export function attachment(filename: string): string {
  return `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]+/g, '-')}"`;
}
