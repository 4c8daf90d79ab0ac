export declare class BuildInfoError extends Error {}
export declare function revisionFrom(
  env: Record<string, string | undefined>,
  git: (args: string[]) => string,
): string | undefined;
