import type { FileUpload } from 'graphql-upload-minimal';
import { processLimits } from '../config';
import type { ImageInfo } from '../generated/graphql';
import { describeImage } from '../processing/image-info';
import { inspectInput } from '../processing/input-policy';
import type { GraphQLContext } from './context';
import { takeRateLimit } from './rate-limit';
import { describeInput, readUpload, receivedUpload } from './upload';

/**
 * Query.imageInfo: read the upload under createImageJob's limits and policy,
 * describe it, and keep nothing.
 */
export async function imageInfo(file: Promise<FileUpload>, context: GraphQLContext): Promise<ImageInfo> {
  await takeRateLimit(context);
  const upload = await receivedUpload(file);
  const data = await readUpload(upload, context.config.maxUploadBytes);
  const limits = processLimits(context.config);
  const meta = await inspectInput(data, limits);
  return { ...describeInput(meta, data.length, upload.filename || null), ...(await describeImage(data, meta, limits)) };
}
