export function freePort(): Promise<number>;
export function ephemeralRangeStart(): number | undefined;
