import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';

/** Where `npm run build` puts the bundled pages (scripts/build-ui.js, sources in ui/); the same from src/ and dist/. */
const UI_DIR = path.resolve(__dirname, '..', '..', 'dist', 'ui');

/** What Apollo can answer a GET with, in the order it negotiates them before serving its landing page. */
const GRAPHQL_OR_HTML = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'multipart/mixed; deferSpec=20220824',
  'multipart/mixed; incrementalSpec=v0.2',
  'multipart/mixed',
  'text/html',
];

/**
 * Does this GET want a page rather than a GraphQL result? Apollo's own test:
 * text/html must be preferred to every GraphQL response type, so clients that
 * accept anything (curl) still get GraphQL.
 */
function prefersHtml(req: Request): boolean {
  return req.accepts(GRAPHQL_OR_HTML) === 'text/html';
}

function sendPage(page: string) {
  return (_req: Request, res: Response): void => {
    res.sendFile(path.join(UI_DIR, page, 'index.html'), (err) => {
      // Only a missing build gets here with nothing sent yet (an aborted download has sent headers).
      if (err && !res.headersSent) {
        res.status(404).json({ errors: [{ message: 'This page is not built: run `npm run build`.', extensions: { code: 'NOT_FOUND' } }] });
      }
    });
  };
}

/**
 * The demo page at GET /, GraphiQL at GET /graphql for browsers, and their
 * bundles under /ui/. Everything is served from here: no CDN, no internet.
 */
export function uiRoutes(): Router {
  const router = express.Router();
  router.use('/ui', express.static(UI_DIR, { index: false, fallthrough: true }));
  router.get('/', sendPage('demo'));
  router.get('/graphql', (req, res, next) => (prefersHtml(req) ? sendPage('graphiql')(req, res) : next()));
  return router;
}
