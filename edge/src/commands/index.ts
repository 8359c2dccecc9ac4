export { CommandHandler, type CommandHandlerOptions } from './command-handler.js';
