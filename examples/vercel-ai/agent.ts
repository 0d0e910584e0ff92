// A Vercel AI SDK agent whose `refund` tool needs approval (`needsApproval: true`). Each
// approval request goes to Slack through the approvals API; the people's decision comes
// back as the SDK's own `tool-approval-response`. The model is the SDK's mock
// (`ai/test`), so no key and no network are needed: swap in any provider's model.
import { type ModelMessage, generateText, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { Approvals, toApprovalResponse } from './approvals';

const executed: unknown[] = [];

const refund = tool({
  description: 'Refund an order',
  inputSchema: z.object({ order: z.string(), amount: z.number() }),
  needsApproval: true,
  execute: async ({ order, amount }) => {
    executed.push({ order, amount });
    return { refunded: amount, order };
  },
});

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: 0 },
};

// The mock model asks for a refund, then reports what the tool said.
const model = new MockLanguageModelV3({
  doGenerate: async ({ prompt }) => {
    const last = prompt[prompt.length - 1];
    if (last.role === 'tool') {
      const result = last.content.find((part) => part.type === 'tool-result');
      return {
        content: [{ type: 'text', text: `Tool said: ${JSON.stringify(result?.output)}` }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage,
        warnings: [],
      };
    }
    return {
      content: [
        {
          type: 'tool-call',
          toolCallId: 'call-1',
          toolName: 'refund',
          input: JSON.stringify({ order: process.env.ORDER ?? '1234', amount: 420 }),
        },
      ],
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      usage,
      warnings: [],
    };
  },
});

async function main() {
  const approvals = new Approvals();
  const tools = { refund };
  const messages: ModelMessage[] = [{ role: 'user', content: 'Refund order 1234, please.' }];
  const decisions = [];
  for (let turn = 0; turn < 5; turn++) {
    const result = await generateText({ model, tools, messages });
    messages.push(...result.response.messages);
    const requests = result.content.filter((part) => part.type === 'tool-approval-request');
    if (requests.length === 0) {
      console.log(JSON.stringify({ text: result.text, executed, decisions }));
      return;
    }
    const responses = [];
    for (const request of requests) {
      const input = request.toolCall.input as { order: string; amount: number };
      const created = await approvals.create(
        {
          title: `Refund order ${input.order}`,
          action: request.toolCall.toolName,
          args: input,
          // The SDK's approval response cannot carry edited arguments: offer no edit.
          approval: { allowed_decisions: ['approve', 'reject'] },
          requested_by: process.env.REQUESTED_BY,
        },
        request.approvalId,
      );
      console.error(`waiting for ${created.permalink}`);
      const decision = await approvals.wait(created.id);
      decisions.push(decision);
      responses.push(toApprovalResponse(request.approvalId, decision));
    }
    messages.push({ role: 'tool', content: responses });
  }
  throw new Error('the agent did not finish in 5 turns');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
