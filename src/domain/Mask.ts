/**
 * Masks (`#ch*`, `cool?ick`), as IRC writes them: `*` matches any run of
 * characters, `?` any one, compared without case as the chat compares names.
 * Used by the hub for `WhoMask` and by IRC's `LIST` filters (ELIST `M`/`N`).
 */

/** Whether `text` has a wildcard, i.e. is a mask rather than a name. */
export const isMask = (text: string): boolean => /[*?]/.test(text)

/** Whether `name` matches `mask`, without case. Linear in their lengths: no backtracking blow-up. */
export const matches = (mask: string, name: string): boolean => {
  const m = mask.toLowerCase()
  const n = name.toLowerCase()
  let i = 0
  let j = 0
  // Where the last `*` was, and the name position it is trying to cover up to.
  let star = -1
  let mark = 0
  while (j < n.length) {
    if (i < m.length && (m[i] === "?" || m[i] === n[j])) {
      i++
      j++
    } else if (i < m.length && m[i] === "*") {
      star = i++
      mark = j
    } else if (star !== -1) {
      i = star + 1
      j = ++mark
    } else {
      return false
    }
  }
  while (i < m.length && m[i] === "*") i++
  return i === m.length
}

/** The most clients one mask query (`WhoMask`) answers with, so that `WHO *` stays one bounded reply. */
export const maxWhoMatches = 200
