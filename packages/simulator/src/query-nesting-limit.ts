import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * The deepest nesting of `{`, `[` and `(` in a GraphQL document, counted over its tokens (so
 * strings and comments do not count) without recursion. Stops at the first lexing error; the
 * parser reports that one.
 */
export function queryNestingDepth(body: string): number {
  const lexer = new Lexer(new Source(body));
  let depth = 0;
  let deepest = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (OPENING.has(token.kind)) deepest = Math.max(deepest, ++depth);
      else if (CLOSING.has(token.kind)) depth--;
    }
  } catch {
    // A syntax error: the parser reports it with its location.
  }
  return deepest;
}

/**
 * Refuses documents nested deeper than `max` before graphql-js parses them: its recursive
 * parser overflows the stack at a few thousand levels, which yoga answered as a 500.
 */
export function queryNestingLimit(max: number): Plugin {
  return {
    onParse({ params }) {
      // envelop types the source loosely; graphql-js takes a string or a Source.
      const source = params.source as string | Source;
      const body = typeof source === 'string' ? source : source.body;
      const depth = queryNestingDepth(body);
      if (depth > max) {
        throw new GraphQLError(`The query nests ${depth} levels deep; the simulator accepts at most ${max}`, {
          extensions: { code: 'GRAPHQL_PARSE_FAILED' },
        });
      }
    },
  };
}
