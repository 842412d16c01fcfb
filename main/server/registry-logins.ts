import type { RegistryLogin } from '../../shared/api.js';
import { authFilePath, storedLogins } from '../engine/index.js';

/**
 * The registries the engine's credentials file (auth.json / $DOCKER_CONFIG/config.json) holds
 * a login for, with the user name only: passwords stay in the file.
 */
export function listRegistryLogins(path = authFilePath()): RegistryLogin[] {
  return storedLogins(path);
}
