/**
 * A random even-aligned block of `size` RTP ports for one test's PortPool, so parallel runs and
 * other work on the machine rarely meet in the same block.
 */
export function testPortRange(size: number): { minPort: number; maxPort: number } {
  const minPort = 41000 + 2 * Math.floor(Math.random() * 4000);
  return { minPort, maxPort: minPort + size - 1 };
}
