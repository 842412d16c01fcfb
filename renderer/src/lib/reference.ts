// The engine's one grammar for image references (docker's distribution/reference), so the app
// refuses exactly what `slipway build -t` refuses, in the same words.
export { referenceProblem } from '../../../main/engine/image/reference.js';
