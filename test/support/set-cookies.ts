/** A cookie a response sets; `removed` when it clears the cookie (an empty value or Max-Age=0). */
export interface SetCookie {
  name: string;
  value: string;
  removed: boolean;
}

/** The cookies a response sets, as a browser's jar would apply them (attributes other than Max-Age ignored). */
export function setCookies(res: Response): SetCookie[] {
  return res.headers.getSetCookie().map((line) => {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    return { name, value, removed: value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) };
  });
}
