// Refusals of HTTP requests before GraphQL sees them, each with a code: Yoga answers a content
// type it has no parser for with an empty 415, a GET or form whose `variables` or `extensions`
// is not JSON with an internal error (its parser calls JSON.parse unguarded), and the CSRF
// plugin's refusal carries no code.
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

/** The content types a GraphQL POST may be sent as (Yoga's parsers). */
export const requestContentTypes = ["application/json", "application/graphql+json", "application/graphql", "application/x-www-form-urlencoded", "multipart/form-data"];

export function codedRequestParsing(): Plugin {
  return {
    onRequestParse: ({ request, requestParser, setRequestParser }) => {
      // Other methods than GET and POST have no parser either: Yoga refuses them with 405 and BAD_REQUEST.
      if (!requestParser && request.method === "POST") {
        throw new GraphQLError(`Unsupported Content-Type: a GraphQL POST is sent as ${requestContentTypes.join(", ")}`, {
          extensions: { code: "UNSUPPORTED_MEDIA_TYPE", http: { status: 415 } },
        });
      }
      if (requestParser) setRequestParser(async (parsed) => {
        try {
          return await requestParser(parsed);
        } catch (error) {
          // Yoga's own errors (a POST body that is not JSON, one too large) already carry their code.
          if (!(error instanceof SyntaxError)) throw error;
          throw new GraphQLError(`The request's "variables" and "extensions" must be JSON: ${error.message}`, {
            extensions: { code: "BAD_REQUEST", http: { status: 400 } },
          });
        }
      });
    },
  };
}

/**
 * Browsers send JSON POSTs only after a CORS preflight; anything a form or an <img> could send
 * needs one of these headers. Yoga's plugin decides, and its refusal gets a code and says what to send.
 */
export function csrfPrevention(requestHeaders: string[]): Plugin {
  const { onRequestParse: check } = useCSRFPrevention({ requestHeaders });
  return {
    onRequestParse: (payload) => {
      try {
        return check!(payload);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        throw new GraphQLError(
          `CSRF check failed: a GET, or a POST that is not JSON, needs the ${requestHeaders[0]} header (any value), which web pages on other sites cannot send`,
          { extensions: { code: "CSRF_HEADER_REQUIRED", http: { status: 403 } } },
        );
      }
    },
  };
}
