import type { Spacelift } from './spacelift.js';

/**
 * What code that talks to Spacelift should depend on: the public methods of {@link Spacelift},
 * written once there. `MockSpacelift` (`spacelift-simulator/testing`) extends `Spacelift`, so
 * tests pass it wherever a `SpaceliftApi` is wanted.
 *
 * With `queryFields`, list and get methods return only the selected fields (hence `Partial`);
 * without it they return the documented default fields.
 */
export type SpaceliftApi = Omit<Spacelift, 'endpoint'>;
