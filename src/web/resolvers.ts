import { GraphQLError } from 'graphql';
import { GraphQLUpload } from 'graphql-upload-minimal';
import { DarkroomError, forRequest } from '../errors';
import type { Resolvers } from '../generated/graphql';
import type { JobRecord } from '../jobs/job';
import { JobLifecycle } from '../jobs/lifecycle';
import type { Config } from '../config';
import { log } from '../log';
import { SINGLE_VARIANT } from '../operations/catalogue';
import { canSee, resultUrl } from './access';
import type { GraphQLContext } from './context';
import { createJob } from './create-job';
import { imageInfo } from './image-info';
import { watchJob } from './job-watch';

function notFound(id: string): DarkroomError {
  return new DarkroomError('NOT_FOUND', `No job ${id}: it does not exist or has expired.`);
}

/** A job without variants keeps the short URL it always had. */
function imageResult(record: JobRecord, index: number, config: Config) {
  const result = record.results[index];
  const single = record.spec.variants.length === 1 && result.name === SINGLE_VARIANT;
  return { ...result, url: resultUrl(record.id, single ? null : result.name, config) };
}

export const resolvers: Resolvers<GraphQLContext> = {
  Upload: GraphQLUpload,
  Query: {
    job: async (_parent, { id }, { backends, caller }) => {
      const record = await forRequest(backends.store.get(id));
      return record && canSee(record, caller) ? record : null;
    },
    imageInfo: (_parent, { file }, context) => imageInfo(file, context),
  },
  Mutation: {
    createImageJob: (_parent, { input }, context) => createJob(input, context),
    cancelJob: async (_parent, { id }, { backends, caller }) => {
      const record = await forRequest(backends.store.get(id));
      if (!record || !canSee(record, caller)) throw notFound(id);
      const outcome = await forRequest(new JobLifecycle(backends).cancel(id));
      if (!outcome) throw notFound(id);
      if (outcome.applied) log.info('job cancelled', { jobId: id });
      return outcome.record;
    },
  },
  Subscription: {
    jobUpdated: {
      subscribe: async (_parent, { id }, { backends, caller }) => {
        const watch = await forRequest(watchJob(backends, id, (record) => canSee(record, caller)));
        if (!watch) throw new GraphQLError(notFound(id).message, { extensions: { code: 'NOT_FOUND' } });
        return watch;
      },
      resolve: (record: JobRecord) => record,
    },
  },
  Job: {
    result: (record, _args, { config }) => (record.results.length > 0 ? imageResult(record, 0, config) : null),
    results: (record, _args, { config }) => record.results.map((_, i) => imageResult(record, i, config)),
  },
};
