// graphql-js parses (and validates, and GraphQL Armor measures) a document recursively: brackets
// nested some thousands deep ({ a { a ..., [[[ ...], an input object in an input object ...)
// exhaust the stack, which no token limit prevents on its own ([ is one token). The document's
// brackets are counted first, without recursion, and one nested deeper than the limit is refused
// as a parse failure.
import { GraphQLError, Lexer, Source, TokenKind } from "graphql";
import type { Plugin } from "graphql-yoga";

const opening = new Set<TokenKind>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const closing = new Set<TokenKind>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Must come after GraphQL Armor's token limit, whose parser it wraps. Only the first `maxTokens`
 * tokens are looked at: past them, that limit refuses the document anyway.
 */
export function documentNestingLimit(maxNesting: number, maxTokens: number): Plugin {
  return {
    onParse: ({ parseFn, setParseFn }) => {
      setParseFn((source, options) => {
        const nesting = deepestNesting(typeof source === "string" ? new Source(source) : source, maxTokens);
        if (nesting > maxNesting) {
          throw new GraphQLError(`Syntax Error: Document nesting limit of ${maxNesting} exceeded.`, {
            extensions: { code: "GRAPHQL_PARSE_FAILED", maxNesting, http: { status: 400 } },
          });
        }
        return parseFn(source, options);
      });
    },
  };
}

/** How deep the brackets of the document's first `maxTokens` tokens nest (a lexical error ends the count: parsing reports it). */
function deepestNesting(source: Source, maxTokens: number): number {
  const lexer = new Lexer(source);
  let depth = 0;
  let deepest = 0;
  try {
    for (let tokens = 0; tokens < maxTokens; tokens++) {
      const { kind } = lexer.advance();
      if (kind === TokenKind.EOF) break;
      if (opening.has(kind)) deepest = Math.max(deepest, ++depth);
      else if (closing.has(kind)) depth--;
    }
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
  }
  return deepest;
}
