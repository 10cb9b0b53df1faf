import type { CommandModule } from 'yargs';
import { loadConfig } from '../../context.js';
import { deriveAll } from '../../derive/node.js';
import { formatNodeList } from '../../value/parse.js';
import type { GlobalArgs } from '../options.js';

export const validateCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'validate',
  describe: 'check net.conf and every node it derives; exit 0 when all is well, 2 otherwise',
  handler: (args) => {
    const config = loadConfig(args);
    const nodes = deriveAll(config);
    const cips = config.clusterIps.filter((c) => c.enable).length;
    process.stdout.write(
      `${config.file}: ok (${config.format} format): ${nodes.length} nodes (${formatNodeList(config.nodes)}), link ${config.net.link}${config.net.enable ? '' : ' (disabled)'}, ${cips} cluster address${cips === 1 ? '' : 'es'}\n`,
    );
  },
};
