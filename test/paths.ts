// Where the tests find the shared corpus and lab (a CI clone has shared/ beside the repository).
import { resolve } from 'node:path';

/** Repository root. */
export const REPO = resolve(import.meta.dirname, '..');
/** The shared folder: $PATHLENS_SHARED, else ../shared beside the repository. */
export const SHARED = process.env.PATHLENS_SHARED ?? resolve(REPO, '../shared');
/** The lab scenarios shipped in shared/. */
export const LAB = resolve(SHARED, 'lab');
