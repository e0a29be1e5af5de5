import { GraphQLError } from 'graphql';
import { GraphQLUpload } from 'graphql-upload-minimal';
import type { Resolvers } from '../generated/graphql';
import { DarkroomError } from '../errors';
import type { JobRecord } from '../jobs/job';
import { JobLifecycle } from '../jobs/lifecycle';
import type { GraphQLContext } from './context';
import { createJob } from './create-job';
import { watchJob } from './job-watch';

export function resultPath(jobId: string): string {
  return `/results/${encodeURIComponent(jobId)}`;
}

export const resolvers: Resolvers<GraphQLContext> = {
  Upload: GraphQLUpload,
  Query: {
    job: (_parent, { id }, { backends }) => backends.store.get(id),
  },
  Mutation: {
    createImageJob: (_parent, { input }, context) => createJob(input, context),
    cancelJob: async (_parent, { id }, { backends }) => {
      const outcome = await new JobLifecycle(backends).cancel(id);
      if (!outcome) throw new DarkroomError('NOT_FOUND', `No job ${id}: it does not exist or has expired.`);
      return outcome.record;
    },
  },
  Subscription: {
    jobUpdated: {
      subscribe: async (_parent, { id }, { backends }) => {
        const watch = await watchJob(backends, id);
        if (!watch) throw new GraphQLError(`No job ${id}: it does not exist or has expired.`, { extensions: { code: 'NOT_FOUND' } });
        return watch;
      },
      resolve: (record: JobRecord) => record,
    },
  },
  Job: {
    result: (record) => record.result && { ...record.result, url: resultPath(record.id) },
  },
};
