import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * GET and form requests carry `variables` and `extensions` as JSON text; graphql-yoga parses it
 * with a bare `JSON.parse`, so a typo there was an opaque 500. This answers 400 naming the parameter.
 */
export function paramsJsonErrors(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (err) {
          if (!(err instanceof SyntaxError)) throw err;
          throw createGraphQLError(
            `The variables or extensions parameter is not valid JSON: ${err.message}`,
            {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            },
          );
        }
      });
    },
  };
}
