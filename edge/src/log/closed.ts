import { GridlinkError } from '@gridlink/shared';

export function closedError(): GridlinkError {
  return new GridlinkError('GL_INTERNAL', 'the reading log is closed');
}
