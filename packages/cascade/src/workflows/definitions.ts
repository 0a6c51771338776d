import { defineQuery, defineSignal } from '@temporalio/workflow';
import type {
  CascadeOptions,
  CascadeSummary,
  CascadeView,
  EstateView,
  RunObservation,
  StackView,
} from '../cascade-contract.js';
import {
  CANCEL_CASCADE_SIGNAL,
  CASCADE_STATUS_QUERY,
  CASCADES_QUERY,
  CONFIGURE_SIGNAL,
  ESTATE_QUERY,
  RUN_STATE_SIGNAL,
  STACK_STATUS_QUERY,
} from '../constants.js';

/** Run state changes, from the webhook receiver (several when deliveries came together) or the CLI. */
export const runStateSignal = defineSignal<RunObservation[]>(RUN_STATE_SIGNAL);
/** Cancels a cascade (by its id or the id of a run in it). */
export const cancelCascadeSignal = defineSignal<[string]>(CANCEL_CASCADE_SIGNAL);
/** New options (a worker started with a new configuration). */
export const configureSignal = defineSignal<[CascadeOptions]>(CONFIGURE_SIGNAL);
export const estateQuery = defineQuery<EstateView>(ESTATE_QUERY);
/** One cascade by its id or the id of a run in it; null when unknown. */
export const cascadeStatusQuery = defineQuery<CascadeView | null, [string]>(CASCADE_STATUS_QUERY);
export const cascadesQuery = defineQuery<CascadeSummary[], [number]>(CASCADES_QUERY);
/** One stack's state; null when the coordinator does not know the stack. */
export const stackStatusQuery = defineQuery<StackView | null, [string]>(STACK_STATUS_QUERY);
