import { conformanceSuite } from '../testing/suite.js';
import { ReferenceBackend } from './backend.js';

// The kit run on the reference backend itself: float32 storage against the float64 oracle, on the
// odd shapes and AlexNet's real layer shapes.
conformanceSuite({ name: 'reference float32', create: () => new ReferenceBackend({ precision: 'float32' }) });
