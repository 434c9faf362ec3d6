/** A pattern syntax error: offset/length are within the pattern source text handed to the parser. */
export interface PatternError { message: string; offset: number; length: number }
