/** "1 problem", "3 problems", "1,200 rows": a count and its noun, in the CLI's English. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}
