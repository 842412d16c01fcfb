import type { ContainerRecord } from '../container/types.js';

/** The labels docker-compose (v1 and v2) puts on what it makes through the Engine API. */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
} as const;

/** The compose project a container belongs to, if docker-compose made it. */
export const projectOf = (rec: ContainerRecord): string | undefined => rec.spec.config.Labels?.[COMPOSE_LABELS.project] || undefined;
