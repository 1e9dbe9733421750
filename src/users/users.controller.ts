import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountEmailService } from './account-email.service';
import { AccountLinksService } from './account-links.service';
import { EmailLinkDto, PasswordResetDto, PasswordResetRequestDto } from './dto/account-mail.dto';
import { SignInDto } from './dto/sign-in.dto';
import { SignUpDto } from './dto/sign-up.dto';
import { UserDto } from './dto/user.dto';
import { CurrentSession, SessionGuard } from './session.guard';
import { SessionPrincipal, SessionsService } from './sessions.service';
import { UsersService } from './users.service';

/** Accounts and browser sessions, as JSON (the web pages call the same services). */
@Controller('api/v1')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly accountEmail: AccountEmailService,
    private readonly accountLinks: AccountLinksService,
  ) {}

  /** Sign up: creates the account and signs it in. */
  @Post('users')
  async signUp(
    @Body() dto: SignUpDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ data: UserDto }> {
    const user = await this.users.signUp({ email: dto.email, password: dto.password, name: dto.name }, req.ip);
    reply.header('set-cookie', await this.sessions.start(user.id, req.headers['user-agent']));
    reply.status(201);
    return { data: user };
  }

  @Post('sessions')
  @HttpCode(200)
  async signIn(
    @Body() dto: SignInDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ data: UserDto }> {
    const user = await this.users.verifyPassword(dto.email, dto.password, req.ip);
    reply.header('set-cookie', await this.sessions.start(user.id, req.headers['user-agent']));
    return { data: user };
  }

  @Delete('sessions/current')
  @HttpCode(204)
  async signOut(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    reply.header('set-cookie', await this.sessions.end(req.headers.cookie));
  }

  /** Mails the signed-in user (again) the link confirming their address. */
  @Post('users/me/email-verification')
  @HttpCode(202)
  @UseGuards(SessionGuard)
  async sendVerification(@CurrentSession() session: SessionPrincipal): Promise<{ data: { status: string } }> {
    return { data: { status: await this.accountEmail.sendVerification(session.userId) } };
  }

  /** Confirms an address with the token of the emailed link. */
  @Post('email-verifications')
  @HttpCode(200)
  async verifyEmail(@Body() dto: EmailLinkDto): Promise<{ data: UserDto }> {
    return { data: await this.accountLinks.verifyEmail(dto.token) };
  }

  /** "Forgot password": the same 202 whether or not an account has the address. */
  @Post('password-resets')
  @HttpCode(202)
  async requestPasswordReset(@Body() dto: PasswordResetRequestDto, @Req() req: FastifyRequest): Promise<{ data: { status: 'requested' } }> {
    await this.accountEmail.requestPasswordReset({ email: dto.email, clientIp: req.ip });
    return { data: { status: 'requested' } };
  }

  /** Sets a new password with the token of the emailed link; every session of the account ends. */
  @Post('password-resets/confirm')
  @HttpCode(200)
  async resetPassword(@Body() dto: PasswordResetDto): Promise<{ data: UserDto }> {
    return { data: await this.accountLinks.resetPassword({ token: dto.token, password: dto.password }) };
  }

  @Get('users/me')
  @UseGuards(SessionGuard)
  async me(@CurrentSession() session: SessionPrincipal): Promise<{ data: UserDto }> {
    return { data: await this.users.get(session.userId) };
  }
}
