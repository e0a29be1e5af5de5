import { GraphQLError } from 'graphql';
import { GraphQLUpload } from 'graphql-upload-minimal';
import { DarkroomError } from '../errors';
import type { Resolvers } from '../generated/graphql';
import type { JobRecord } from '../jobs/job';
import { JobLifecycle } from '../jobs/lifecycle';
import { log } from '../log';
import { canSee, resultUrl } from './access';
import type { GraphQLContext } from './context';
import { createJob } from './create-job';
import { imageInfo } from './image-info';
import { watchJob } from './job-watch';

function notFound(id: string): DarkroomError {
  return new DarkroomError('NOT_FOUND', `No job ${id}: it does not exist or has expired.`);
}

export const resolvers: Resolvers<GraphQLContext> = {
  Upload: GraphQLUpload,
  Query: {
    job: async (_parent, { id }, { backends, caller }) => {
      const record = await backends.store.get(id);
      return record && canSee(record, caller) ? record : null;
    },
    imageInfo: (_parent, { file }, context) => imageInfo(file, context),
  },
  Mutation: {
    createImageJob: (_parent, { input }, context) => createJob(input, context),
    cancelJob: async (_parent, { id }, { backends, caller }) => {
      const record = await backends.store.get(id);
      if (!record || !canSee(record, caller)) throw notFound(id);
      const outcome = await new JobLifecycle(backends).cancel(id);
      if (!outcome) throw notFound(id);
      if (outcome.applied) log.info('job cancelled', { jobId: id });
      return outcome.record;
    },
  },
  Subscription: {
    jobUpdated: {
      subscribe: async (_parent, { id }, { backends, caller }) => {
        const watch = await watchJob(backends, id, (record) => canSee(record, caller));
        if (!watch) throw new GraphQLError(notFound(id).message, { extensions: { code: 'NOT_FOUND' } });
        return watch;
      },
      resolve: (record: JobRecord) => record,
    },
  },
  Job: {
    result: (record, _args, { config }) => record.result && { ...record.result, url: resultUrl(record.id, config) },
  },
};
