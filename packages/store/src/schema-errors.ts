/** The shape of a zod issue we rely on: a path into the value and a message. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `answers.0.keyword: Too small: expected string to have >=1 characters; greeting: ...` */
export function describeIssues(issues: readonly SchemaIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(value)'}: ${issue.message}`)
    .join('; ');
}
