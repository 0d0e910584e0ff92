// A small client of the Slack approvals bot's API, and the bridge from its decision to the
// AI SDK's own approval response.
import type { ToolApprovalResponse } from 'ai';

export type Decision = {
  action: 'approve' | 'edit' | 'reject';
  args: Record<string, unknown>;
  reason: string | null;
  decided_by: string[];
  decided_at: string;
  decision_id: string;
  cause: 'person' | 'timeout' | 'cancel';
};

export class Approvals {
  constructor(
    private baseUrl = process.env.APPROVALS_URL ?? 'http://localhost:3000',
    private token = process.env.APPROVALS_API_TOKEN ?? '',
  ) {}

  private async call(method: string, path: string, body?: unknown, headers = {}) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        'Content-Type': 'application/json',
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) {
      throw new Error(`approvals API ${response.status}: ${answer.error} (${answer.field ?? '-'})`);
    }
    return answer;
  }

  /** POST /api/approvals; the same idempotency key never posts a second message. */
  async create(request: Record<string, unknown>, idempotencyKey: string) {
    return this.call('POST', '/api/approvals', request, { 'Idempotency-Key': idempotencyKey });
  }

  /** Long polls GET /api/approvals/{id}?wait=60 until a decision lands. */
  async wait(id: string): Promise<Decision> {
    for (;;) {
      const answer = await this.call('GET', `/api/approvals/${id}?wait=60`);
      if (answer.status === 'failed') throw new Error(`approval ${id} failed: ${answer.error}`);
      if (answer.decision) return answer.decision as Decision;
    }
  }
}

/** The AI SDK's approval response for one approval request, from the people's decision. */
export function toApprovalResponse(approvalId: string, decision: Decision): ToolApprovalResponse {
  return {
    type: 'tool-approval-response',
    approvalId,
    approved: decision.action === 'approve',
    reason:
      decision.reason ??
      `${decision.action} by ${decision.decided_by.join(', ') || decision.cause} (${decision.decision_id})`,
  };
}
