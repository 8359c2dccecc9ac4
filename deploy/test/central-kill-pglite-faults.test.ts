import { describe } from 'vitest';
import { centralKillSuite } from './helpers/central-kill-suite.js';

describe('central killed between commit and ack [pglite]', () => centralKillSuite('pglite'));
