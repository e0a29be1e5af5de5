import type { ErrorRequestHandler, RequestHandler } from 'express';

/**
 * graphql-upload-minimal listens for only the first 'error' of its busboy
 * parser. On a malformed body busboy emits a second one while the library
 * destroys it, and an 'error' nobody hears crashes the process. The first is
 * still answered by the library (400); the later ones are dropped here.
 */
export const guardMultipartParser: RequestHandler = (req, _res, next) => {
  if (req.is('multipart/form-data')) {
    const pipe = req.pipe.bind(req);
    req.pipe = ((destination: NodeJS.WritableStream, options?: { end?: boolean }) => {
      destination.on('error', () => undefined);
      return pipe(destination, options);
    }) as typeof req.pipe;
  }
  next();
};

/** Whatever the multipart parser fails on is the body's fault: 400, not 500. */
export const multipartErrorsAreBadRequests: ErrorRequestHandler = (err, _req, _res, next) => {
  next(typeof err?.status === 'number' ? err : Object.assign(err instanceof Error ? err : new Error(String(err)), { status: 400 }));
};
