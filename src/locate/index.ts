export { greyImage, type GreyImage } from './grey-image';
export { locate, mergeMatches, MIN_TEMPLATE_SIDE, type LocateHooks, type Match } from './locate';
export { drawMarks, markStyle, MARK_DEFAULTS, type MarkStyle } from './marks';
export { LOCATE_DEFAULTS, locateOptions, type LocateOptions } from './options';
