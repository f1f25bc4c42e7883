// Shared shapes of the text-input parsers (conntrack, ip, rulesets, traces, sysctl).

/** A problem in a text input, located by 1-based line number. */
export interface TextWarning {
  line: number;
  message: string;
}

/** What every text parser returns: the records it could read and one warning per line it could not. */
export interface ParseResult<T> {
  records: T[];
  warnings: TextWarning[];
}
