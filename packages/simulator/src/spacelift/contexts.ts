import { createHash } from 'node:crypto';
import { slugify, ulid } from './ids.js';
import type { Spaces } from './spaces.js';
import { notFound, SpaceliftStoreError } from './store-error.js';

export interface ConfigRecord {
  id: string;
  checksum: string;
  createdAt: number;
  description: string | null;
  runtime: boolean;
  type: 'ENVIRONMENT_VARIABLE' | 'FILE_MOUNT';
  /** Kept even when write-only; the API hides it then. */
  value: string;
  writeOnly: boolean;
  fileMode: string | null;
}

export interface ContextRecord {
  id: string;
  name: string;
  description: string | null;
  labels: string[];
  space: string;
  config: ConfigRecord[];
  createdAt: number;
  updatedAt: number;
}

/** What `contextCreateV2` / `contextUpdateV2` set (stack attachments are checked, not kept). */
export interface ContextSettings {
  name: string;
  space: string;
  description?: string | null;
  labels?: string[] | null;
  config?: Array<{
    id: string;
    value: string;
    type?: 'ENVIRONMENT_VARIABLE' | 'FILE_MOUNT' | null;
    writeOnly?: boolean | null;
    description?: string | null;
    fileMode?: string | null;
  }> | null;
}

/** The account's contexts; a name is unique within its space. */
export class Contexts {
  private readonly byId = new Map<string, ContextRecord>();

  constructor(
    private readonly spaces: Spaces,
    private readonly now: () => number,
  ) {}

  list(): ContextRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): ContextRecord | null {
    return this.byId.get(id) ?? null;
  }

  /** With an explicit `id` (seeds) a clash is a conflict; otherwise the id comes from the name. */
  create(input: ContextSettings, id?: string): ContextRecord {
    this.spaces.require(input.space);
    this.requireUniqueName(input.name, input.space, null);
    let contextId = id ?? slugify(input.name);
    if (this.byId.has(contextId)) {
      if (id) throw new SpaceliftStoreError('CONFLICT', `context "${id}" already exists`);
      contextId = `${contextId}-${ulid(this.now()).toLowerCase()}`;
    }
    const at = this.nowSeconds();
    const context: ContextRecord = {
      id: contextId,
      name: input.name,
      description: input.description ?? null,
      labels: [...(input.labels ?? [])],
      space: input.space,
      config: configRecords(input.config ?? [], at),
      createdAt: at,
      updatedAt: at,
    };
    this.byId.set(contextId, context);
    return context;
  }

  /** With `replaceConfig` the config becomes `input.config`; otherwise the config is left alone. */
  update(id: string, input: ContextSettings, replaceConfig: boolean): ContextRecord {
    const context = this.byId.get(id);
    if (!context) throw notFound('context', id);
    this.spaces.require(input.space);
    this.requireUniqueName(input.name, input.space, id);
    const at = this.nowSeconds();
    Object.assign(context, {
      name: input.name,
      space: input.space,
      description: input.description ?? null,
      labels: [...(input.labels ?? [])],
      updatedAt: at,
    });
    if (replaceConfig) context.config = configRecords(input.config ?? [], at);
    return context;
  }

  /** `null` when there is no such context (the API answers null too). */
  delete(id: string): ContextRecord | null {
    const context = this.byId.get(id);
    if (!context) return null;
    this.byId.delete(id);
    return context;
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private requireUniqueName(name: string, space: string, except: string | null): void {
    const clash = this.list().find((c) => c.name === name && c.space === space && c.id !== except);
    if (clash) {
      throw new SpaceliftStoreError(
        'CONFLICT',
        `context with name "${name}" already exists in space "${space}"`,
      );
    }
  }
}

function configRecords(config: NonNullable<ContextSettings['config']>, at: number): ConfigRecord[] {
  return config.map((e) => ({
    id: e.id,
    checksum: createHash('sha256').update(e.value).digest('hex'),
    createdAt: at,
    description: e.description ?? null,
    runtime: false,
    type: e.type ?? 'ENVIRONMENT_VARIABLE',
    value: e.value,
    writeOnly: e.writeOnly ?? false,
    fileMode: e.fileMode ?? null,
  }));
}
